#!/usr/bin/env python3
"""Add the naive ports of the CPU references (`kgrl tasks --port`) to the task suite as solutions.

    python3 scripts/add_ports.py                       # write solution_port.cu + a task.json entry for every portable task
    python3 scripts/add_ports.py --drop verdicts.jsonl # remove the ports whose verdict is not ok (kgrl eval --json output)

A port is a solution like any other only once the verifier passes it on a GPU: run the first form, then
`./kgrl eval --suite --no-timing --match solution_port --out verdicts.jsonl`, then the second form.
"""
import json, os, subprocess, sys

KIND = {"file": "solution_port.cu", "kind": "port",
        "why": "naive port of the CPU reference (kgrl tasks --port): one thread per iteration of its outer loops"}

def task_dir(tid):
    level, num = tid[1:].split("/")
    root = f"data/level{level}"
    for d in os.listdir(root):
        if d.startswith(f"{int(num):03d}_"):
            return os.path.join(root, d)
    raise SystemExit(f"add_ports: no directory for {tid}")

def edit(d, add):
    path = os.path.join(d, "task.json")
    j = json.load(open(path))
    sols = [s for s in j.get("solutions", []) if s["file"] != KIND["file"]]
    if add:
        sols.append(dict(KIND))
    j["solutions"] = sols
    open(path, "w").write(json.dumps(j, indent=2, ensure_ascii=False) + "\n")

def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--drop":
        dropped = 0
        for line in open(sys.argv[2]):
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            rec = r.get("record", {})
            if not r.get("file", "").endswith("solution_port.cu") or rec.get("status") == "ok":
                continue
            d = os.path.dirname(r["file"])
            os.remove(os.path.join(d, "solution_port.cu"))
            edit(d, False)
            dropped += 1
            print(f"dropped {rec.get('task')}: {rec.get('status')} {rec.get('message', '')[:200]}")
        print(f"{dropped} ports dropped")
        return
    if len(sys.argv) != 1:
        raise SystemExit(__doc__)
    out = subprocess.run(["./kgrl", "tasks", "--port", "all"], capture_output=True, text=True, check=True).stdout
    n = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == "port":
            tid = parts[0]
            code = subprocess.run(["./kgrl", "tasks", "--port", tid], capture_output=True, text=True, check=True).stdout
            d = task_dir(tid)
            open(os.path.join(d, "solution_port.cu"), "w").write(code)
            edit(d, True)
            n += 1
    print(f"{n} ports written")

main()
