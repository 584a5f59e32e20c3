set terminal pngcairo size 900,600 enhanced font 'sans,10'
set output "kernel_error_vs_width.png"
set encoding utf8
set title "empirical kernels at initialisation: relu, depth 2, 5 tasks"
set xlabel "width h"
set ylabel "relative Frobenius error (median; band: range over seeds)"
set key below
set grid
set autoscale xfix
set autoscale yfix
set offsets 0, 0, graph 0.04, graph 0.04
set logscale x
set format x "10^{%L}"
set mxtics 10
set logscale y
set ytics ("0.1" 0.1, "0.2" 0.2, "0.5" 0.5)
$band0 << EOD
64.0 0.23988437384830233 0.5110329818396155
128.0 0.181370692988608 0.4279258929349031
256.0 0.09978399232090601 0.19515581564573714
512.0 0.10025545180420808 0.1714647433611486
1024.0 0.0636320651755575 0.11442592433794166
EOD
$data0 << EOD
64.0 0.3071140787925991
128.0 0.23642216034074948
256.0 0.16526661155967792
512.0 0.11683840383022581
1024.0 0.09273659961655276
EOD
$band1 << EOD
64.0 0.2783043120116784 0.48727538489431194
128.0 0.16534449324412911 0.3959170438199035
256.0 0.10611476290847428 0.21583629430349988
512.0 0.09870446316116716 0.19211576914006886
1024.0 0.06363634648119322 0.1356477113612228
EOD
$data1 << EOD
64.0 0.3405260576421053
128.0 0.23671318832298754
256.0 0.18578103280693414
512.0 0.13184989336881592
1024.0 0.0970923483047659
EOD
$data2 << EOD
64.0 0.3071140787925991
1024.0 0.07677851969814978
EOD
plot $band0 using 1:2:3 with filledcurves fs transparent solid 0.18 noborder lc rgb "#1f77b4" notitle, \
     $data0 using 1:2 with linespoints pt 1 ps 0.8 lw 1.5 lc rgb "#1f77b4" title "NTK ~Θ{.7\\^} vs Θ (slope -0.45)", \
     $band1 using 1:2:3 with filledcurves fs transparent solid 0.18 noborder lc rgb "#ff7f0e" notitle, \
     $data1 using 1:2 with linespoints pt 2 ps 0.8 lw 1.5 lc rgb "#ff7f0e" title "NNGP ~K{.7\\^} vs K (slope -0.45)", \
     $data2 using 1:2 with lines dt 2 lw 1.5 lc rgb "#2ca02c" title "∝ h^{-1/2}"
