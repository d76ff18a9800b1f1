# Figure (seed 001 Figure 3): GRPO loss (top) and mean reward (bottom) over steps, with a 10-step
# moving average of the reward (the per-step values of batch size 1 are noisy, as in the seed).
# Input: results/exp03_grpo.csv (tidy long: phase,step,metric,value; '#' metadata lines).
# Run from the repository root: gnuplot paper/fig_exp03_grpo.gp  -> paper/fig_exp03_grpo.svg
set terminal svg size 700,560 font "sans,11"
set output "paper/fig_exp03_grpo.svg"
set datafile separator ","
rows(m) = sprintf("< awk -F, '$1==\"rl\" && $3==\"%s\" {print $2\",\"$4}' results/exp03_grpo.csv", m)
# moving average over the last 10 rows (awk keeps a ring of values)
avg(m) = sprintf("< awk -F, '$1==\"rl\" && $3==\"%s\" {v[n%%10]=$4; n++; s=0; k=(n<10?n:10); for(i=0;i<k;i++) s+=v[i]; print $2\",\"s/k}' results/exp03_grpo.csv", m)
set multiplot layout 2,1
set grid
set xlabel "step"
set ylabel "loss"
set title "GRPO loss"
plot rows("loss") using 1:2 with lines lc rgb "#1f77b4" notitle
set ylabel "reward"
set title "mean reward of the G rollouts"
plot rows("reward_mean") using 1:2 with lines lc rgb "#bbbbbb" title "per step", \
     avg("reward_mean") using 1:2 with lines lw 2 lc rgb "#d62728" title "10-step mean"
unset multiplot
