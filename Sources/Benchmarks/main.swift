// `make bench`: speed of the toolkit's hot paths, each printed beside a reference measured in
// the same run (OpenBLAS dgemm of the same size, plain reads/writes of the same bytes, or the
// base kernel).
import Foundation
import LinearAlgebra

AllocatorTuning.keepFreedMemoryForReuse()
// `Benchmarks conv` runs the convolutional kernels alone (`conv-flatten`: without the long GAP case);
// `Benchmarks omniglot` runs only the Omniglot benchmark (`omniglot-tasks`: without the kernel-FC
// part); `Benchmarks activations` only the activation benchmarks (tanh against ReLU, the
// per-activation table); `Benchmarks io` only the readers and writers; `Benchmarks steps` only the
// per-method outer-step comparison; `Benchmarks conv-steps` only the conv-against-dense outer steps;
// `Benchmarks predict` only `predict` end to end and the predictors from kernel blocks;
// `Benchmarks scale` the kernel, end-to-end, out-of-core and predictor figures of the scale issue;
// `Benchmarks vector-width` the AVX-512 dual maps against the AVX2 ones, and the one-pass convolution
// against the two-pass one;
// `Benchmarks blas-workers` OpenBLAS's idle-worker spin window against ntkbridge's.
if let section = CommandLine.arguments.dropFirst().first {
    if section == "conv-steps" {
        try ConvolutionalTrainingBenchmark.run()
    } else if section.hasPrefix("conv") {
        try ConvolutionalKernelBenchmark.run(globalAveragePooling: section == "conv")
    } else if section.hasPrefix("omniglot") {
        try OmniglotBenchmark.run(kernelPart: section == "omniglot")
    } else if section == "vector-width" {
        try VectorWidthBenchmark.run()
        ConvolutionPassBenchmark.run()
    } else if section == "activations" {
        try ActivationBenchmark.run()
    } else if section == "io" {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try IOBenchmark.run(folder: scratch)
    } else if section == "blas-workers" {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try BLASWorkerBenchmark.run(folder: scratch)
    } else if section == "steps" {
        try MethodStepBenchmark.run()
    } else if section == "predict" {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try CommandBenchmark.predict(folder: scratch)
        try PredictorBenchmark.predictFromBlocks()
    } else if section == "scale" {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try KernelBenchmark.run()
        try CommandBenchmark.runAll(folder: scratch)
        try CommandBenchmark.predict(folder: scratch)
        try PredictorBenchmark.run()
        try PredictorBenchmark.predictFromBlocks()
    }
    exit(0)
}
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ntkbridge-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: scratch) }
try KernelBenchmark.run()
print()
try VectorWidthBenchmark.run()
ConvolutionPassBenchmark.run()
print()
try BLASWorkerBenchmark.run(folder: scratch)
print()
try IOBenchmark.run(folder: scratch)
print()
try CommandBenchmark.runAll(folder: scratch)
print()
try CommandBenchmark.predict(folder: scratch)
print()
try ActivationBenchmark.run()
print()
try PredictorBenchmark.run()
try PredictorBenchmark.predictFromBlocks()
print()
try TrainingBenchmark.run()
print()
try MethodStepBenchmark.run()
print()
try ConvolutionalTrainingBenchmark.run()
print()
// Without the global-average-pooling case (minutes on its own): `Benchmarks conv` runs it.
try ConvolutionalKernelBenchmark.run(globalAveragePooling: false)
print()
try OmniglotBenchmark.run()
