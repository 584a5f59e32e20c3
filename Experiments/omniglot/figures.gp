# Figures of the Omniglot benchmark (run by Experiments/omniglot/run.sh with dir set to the results
# folder): accuracy on the 20 runs against the number of training tasks and against depth, per
# method, with 95% confidence bands (the convolutional kernels' rows as points with 95% intervals);
# the RMS distance between the GBML and MTL predictions; the finite networks' validation accuracy
# against training CPU time in the cost protocol (median and range over repeats).
set datafile separator ','
set terminal svg size 640,420 dynamic font 'sans,12'
set key top left
set grid
set yrange [0:*]
rows(m, file) = sprintf("< awk -F, '$1 == \"%s\" && $2 == \"kernel-fc\"' %s/%s", m, dir, file)
colors = "#1b9e77 #d95f02 #7570b3"
methods = "mtl anil maml"

set output dir.'/accuracy_vs_tasks.svg'
set xlabel 'training tasks N'
set ylabel 'accuracy'
set logscale x
set xrange [4:60]
set xtics (5, 10, 25, 50)
set terminal svg size 760,540 dynamic font 'sans,12'
set title 'Omniglot, 20 runs, 20-way 1-shot, depth 2 (95% bands and intervals)'
set key outside below center maxrows 3 font 'sans,10'
cntk(m, readout) = sprintf("< awk -F, '$1 == \"%s\" && $2 == \"kernel-cntk-%s\"' %s/cntk.csv 2>/dev/null", m, readout, dir)
plot for [i=1:3] rows(word(methods, i), 'by_tasks.csv') using 6:($7 - $8):($7 + $8) with filledcurves \
         fillcolor rgb word(colors, i) fillstyle transparent solid 0.2 notitle, \
     for [i=1:3] rows(word(methods, i), 'by_tasks.csv') using 6:7 with linespoints lc rgb word(colors, i) \
         lw 2 pt 7 title word(methods, i).' FC', \
     for [i=1:3] cntk(word(methods, i), 'flatten') using ($6 * (1 + 0.04 * (i - 2))):7:8 with yerrorbars \
         lc rgb word(colors, i) lw 2 pt 5 ps 1.2 title word(methods, i).' CNTK flatten S=21', \
     for [i=1:3] cntk(word(methods, i), 'gap') using ($6 * (1 + 0.04 * (i - 2))):7:8 with yerrorbars \
         lc rgb word(colors, i) lw 2 pt 9 ps 1.4 title word(methods, i).' CNTK GAP S=7', \
     0.05 with lines dt 2 lc rgb 'gray' title 'chance'
set key top left inside
set terminal svg size 640,420 dynamic font 'sans,12'
unset logscale x
set xtics autofreq
set xrange [*:*]

set output dir.'/accuracy_vs_depth.svg'
set title 'Omniglot 20-way 1-shot (20 runs), FC kernel, N = 10 training tasks'
set xlabel 'depth L (hidden layers)'
plot for [i=1:3] rows(word(methods, i), 'by_depth.csv') using 3:($7 - $8):($7 + $8) with filledcurves \
         fillcolor rgb word(colors, i) fillstyle transparent solid 0.2 notitle, \
     for [i=1:3] rows(word(methods, i), 'by_depth.csv') using 3:7 with linespoints lc rgb word(colors, i) \
         lw 2 pt 7 title word(methods, i), \
     0.05 with lines dt 2 lc rgb 'gray' title 'chance'

set output dir.'/distance_vs_depth.svg'
set title 'RMS distance of the GBML predictions to MTL''s on the runs'' queries'
set ylabel 'RMS distance'
set logscale y
set yrange [*:*]
plot for [i=2:3] sprintf("< awk -F, '$2 == \"%s\"' %s/distance.csv", word(methods, i), dir) using 1:3 \
         with linespoints lc rgb word(colors, i) lw 2 pt 7 title word(methods, i).' − mtl'

# The cost protocol (cost_curve.csv, written by cost_summary.sh): validation accuracy after the
# common head-only adaptation against training CPU seconds, median and range over repeats.
if (system(sprintf("test -s %s/cost_curve.csv && echo yes", dir)) eq "yes") {
    set output dir.'/cost_accuracy_vs_cpu_seconds.svg'
    set title 'Finite FC nets (width 256, depth 2, 7×7): held-out background episodes'
    set xlabel 'training CPU seconds (median over repeats)'
    set ylabel 'validation accuracy (median, range over repeats)'
    unset logscale y
    set logscale x
    set xrange [*:*]
    set yrange [0:*]
    set key bottom left
    methods4 = "mtl anil maml fomaml"
    colors4 = "#1b9e77 #d95f02 #7570b3 #e7298a"
    curve(m) = sprintf("< awk -F, '$1 == \"%s\" && $3 > 0' %s/cost_curve.csv 2>/dev/null", m, dir)
    target = real(system(sprintf("awk -F, 'NR == 2 {print $3}' %s/cost.csv 2>/dev/null || echo 0", dir)))
    plot for [i=1:4] curve(word(methods4, i)) using 3:5:6 with filledcurves fillcolor rgb word(colors4, i) \
             fillstyle transparent solid 0.2 notitle, \
         for [i=1:4] curve(word(methods4, i)) using 3:4 with linespoints lc rgb word(colors4, i) lw 2 pt 7 ps 0.6 \
             title word(methods4, i), \
         target with lines dt 2 lc rgb 'black' title 'common target accuracy'
}
