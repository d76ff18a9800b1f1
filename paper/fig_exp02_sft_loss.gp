# Figure (seed 001 Figure 2): SFT cross-entropy over steps, eval (left) and train (right).
# Input: results/exp02_sft.csv (tidy long: phase,step,metric,value; '#' metadata lines).
# Run from the repository root: gnuplot paper/fig_exp02_sft_loss.gp  -> paper/fig_exp02_sft_loss.svg
set terminal svg size 900,360 font "sans,11"
set output "paper/fig_exp02_sft_loss.svg"
set datafile separator ","
# rows of one metric of phase sft, as "step value"
rows(m) = sprintf("< awk -F, '$1==\"sft\" && $3==\"%s\" {print $2\",\"$4}' results/exp02_sft.csv", m)
set multiplot layout 1,2
set xlabel "step"
set ylabel "cross-entropy"
set grid
set title "eval loss (held-out conversations)"
plot rows("eval_loss") using 1:2 with linespoints pt 7 ps 0.5 lc rgb "#1f77b4" notitle
set title "train loss"
plot rows("train_loss") using 1:2 with lines lw 1.5 lc rgb "#d62728" notitle
unset multiplot
