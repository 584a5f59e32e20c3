set terminal pngcairo size 900,600 enhanced font 'sans,10'
set output "mtl_anil_distance_vs_width.png"
set encoding utf8
set title "MTL–ANIL distance: relu, depth 2, 5 tasks"
set xlabel "width h"
set ylabel "‖F_{MTL} − F_{ANIL}‖ / ‖F_{ANIL}‖"
set key below
set grid
set autoscale xfix
set autoscale yfix
set offsets 0, 0, graph 0.04, graph 0.04
set logscale x
set format x "10^{%L}"
set mxtics 10
set logscale y
set ytics ("0.4" 0.4, "0.5" 0.5, "0.6" 0.6000000000000001)
$band0 << EOD
64.0 0.31637545587072424 0.6292229269772002
128.0 0.4111619089046653 0.6511744199136248
256.0 0.40179638458076516 0.644005996627635
512.0 0.4233881467931379 0.6263750518067377
1024.0 0.42195129537067855 0.5416271950348348
EOD
$data0 << EOD
64.0 0.46653320032149714
128.0 0.5290994773785892
256.0 0.48961399958933305
512.0 0.47852306814371726
1024.0 0.4704484560551422
EOD
$data1 << EOD
64.0 0.4662193595557527
1024.0 0.4662193595557527
EOD
plot $band0 using 1:2:3 with filledcurves fs transparent solid 0.18 noborder lc rgb "#1f77b4" notitle, \
     $data0 using 1:2 with linespoints pt 1 ps 0.8 lw 1.5 lc rgb "#1f77b4" title "finite width", \
     $data1 using 1:2 with lines dt 2 lw 1.5 lc rgb "#ff7f0e" title "infinite width"
