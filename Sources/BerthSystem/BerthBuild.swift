/// Build facts shared by every Berth binary.
public enum BerthBuild {
    /// The release version of this build.
    public static let version = "0.1.0-dev"
    /// The OCI runtime-spec version Berth generates and understands.
    public static let ociRuntimeSpecVersion = "1.0.2"
}
