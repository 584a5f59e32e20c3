# Figures of the Omniglot benchmark (run by Experiments/omniglot/run.sh with dir set to the results
# folder): accuracy on the 20 runs against the number of training tasks and against depth, per
# method, with 95% confidence bands; the RMS distance between the GBML and MTL predictions.
set datafile separator ','
set terminal svg size 640,420 dynamic font 'sans,12'
set key top left
set grid
set yrange [0:*]
rows(m, file) = sprintf("< awk -F, '$1 == \"%s\" && $2 == \"kernel-fc\"' %s/%s", m, dir, file)
colors = "#1b9e77 #d95f02 #7570b3"
methods = "mtl anil maml"

set output dir.'/accuracy_vs_tasks.svg'
set title 'Omniglot 20-way 1-shot (20 runs), FC kernel, depth 2'
set xlabel 'training tasks N'
set ylabel 'accuracy'
set logscale x
set xrange [4:60]
plot for [i=1:3] rows(word(methods, i), 'by_tasks.csv') using 6:($7 - $8):($7 + $8) with filledcurves \
         fillcolor rgb word(colors, i) fillstyle transparent solid 0.2 notitle, \
     for [i=1:3] rows(word(methods, i), 'by_tasks.csv') using 6:7 with linespoints lc rgb word(colors, i) \
         lw 2 pt 7 title word(methods, i), \
     0.05 with lines dt 2 lc rgb 'gray' title 'chance'
unset logscale x
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
