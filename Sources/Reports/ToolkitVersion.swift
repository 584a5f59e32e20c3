/// The toolkit's version, recorded in every provenance header.
public enum ToolkitVersion {
    public static let current = "0.1.0"
}
