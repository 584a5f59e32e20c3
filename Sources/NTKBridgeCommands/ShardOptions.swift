import ArgumentParser
import Reports

/// `--shard i/N`: run one shard of a sweep (see `SweepShard`); the shard folders are joined by
/// `ntkbridge merge`.
struct ShardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run only shard i of N (0 ≤ i < N): the sweep points whose index is ≡ i (mod N), "
                               + "each shard into its own --out; join them with `ntkbridge merge`.", valueName: "i/N"))
    var shard: String?

    /// The shard asked for, or nil for the whole sweep.
    func parsed() throws -> SweepShard? {
        guard let shard else { return nil }
        do { return try SweepShard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") }
    }
}

/// Claims `folder` for the shard of `manifest` (refusing a folder in use by another shard or sweep).
func claimShardFolder(_ manifest: ShardManifest, folder: String, table: String) throws {
    do { try manifest.claim(folder: folder, table: table) } catch let error as ShardError {
        throw CommandFailure("--out " + NTKBridge.commandLineDescription(of: error))
    }
}
