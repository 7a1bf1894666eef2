using BenchmarkDotNet.Running;

// Pick benchmarks with --filter, e.g. `--filter *DriftSweep*`; --list flat shows them all.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
