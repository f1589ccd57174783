namespace Chat.Runtime;

/// <summary>
/// A client of the cluster: the grain factory a frontend uses. Inside a silo (co-hosting) it is
/// the silo's own factory; from another process it is a remote cluster client. Same interface.
/// </summary>
public interface IClusterClient : IGrainFactory;
