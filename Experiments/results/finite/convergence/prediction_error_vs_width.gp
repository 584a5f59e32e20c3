set terminal pngcairo size 900,600 enhanced font 'sans,10'
set output "prediction_error_vs_width.png"
set encoding utf8
set title "trained networks against their kernel predictors: relu, depth 2, 5 tasks"
set xlabel "width h"
set ylabel "relative distance (median over seeds; band: range)"
set key below
set grid
set autoscale xfix
set autoscale yfix
set offsets 0, 0, graph 0.04, graph 0.04
set logscale x
set format x "10^{%L}"
set mxtics 10
set logscale y
set format y "10^{%L}"
set mytics 10
$band0 << EOD
64.0 0.3831180848835909 0.6297269970058785
128.0 0.18216808283375668 0.6104847310065447
256.0 0.17015737212766074 0.3311393863675177
512.0 0.09420257411942011 0.2591946208239301
1024.0 0.07003485295562781 0.18033251566373473
EOD
$data0 << EOD
64.0 0.5396544755862958
128.0 0.3030907435993715
256.0 0.24115683184355213
512.0 0.1939954409583768
1024.0 0.11511574126150508
EOD
$band1 << EOD
64.0 0.39285870973400866 0.6860839245975814
128.0 0.2017875195200684 0.7113353154684837
256.0 0.12435568844077378 0.28593684851577106
512.0 0.1025007772707569 0.20805287836460856
1024.0 0.07361073642041353 0.14087381106378574
EOD
$data1 << EOD
64.0 0.46183483936885084
128.0 0.32363462437563695
256.0 0.20698567016926456
512.0 0.15163298230334155
1024.0 0.1142412520780076
EOD
$band2 << EOD
64.0 0.3617022895539819 0.6700945293377267
128.0 0.2097707296988096 0.6429350173022786
256.0 0.1076847057358751 0.28890969269020644
512.0 0.09474630224738442 0.18206646046082142
1024.0 0.08616590135432411 0.14064614081212345
EOD
$data2 << EOD
64.0 0.4590877547045633
128.0 0.3521794833858852
256.0 0.21212677899780702
512.0 0.15360647729920965
1024.0 0.11407404553573595
EOD
$data3 << EOD
64.0 0.5396544755862958
1024.0 0.13491361889657394
EOD
plot $band0 using 1:2:3 with filledcurves fs transparent solid 0.18 noborder lc rgb "#1f77b4" notitle, \
     $data0 using 1:2 with linespoints pt 1 ps 0.8 lw 1.5 lc rgb "#1f77b4" title "MTL (slope -0.51)", \
     $band1 using 1:2:3 with filledcurves fs transparent solid 0.18 noborder lc rgb "#ff7f0e" notitle, \
     $data1 using 1:2 with linespoints pt 2 ps 0.8 lw 1.5 lc rgb "#ff7f0e" title "ANIL (slope -0.51)", \
     $band2 using 1:2:3 with filledcurves fs transparent solid 0.18 noborder lc rgb "#2ca02c" notitle, \
     $data2 using 1:2 with linespoints pt 3 ps 0.8 lw 1.5 lc rgb "#2ca02c" title "MAML (slope -0.52)", \
     $data3 using 1:2 with lines dt 2 lw 1.5 lc rgb "#d62728" title "∝ h^{-1/2}"
