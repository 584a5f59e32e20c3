// `make bench`: speed of the toolkit's hot paths, each printed beside a reference measured in
// the same run (OpenBLAS dgemm of the same size, or the base kernel).
import LinearAlgebra

AllocatorTuning.keepFreedMemoryForReuse()
try KernelBenchmark.run()
print()
try PredictorBenchmark.run()
print()
try TrainingBenchmark.run()
