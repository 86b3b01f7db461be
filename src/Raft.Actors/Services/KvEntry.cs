namespace Raft.Actors.Services;

/// <summary>A key and its value, as a scan returns them.</summary>
public sealed record KvEntry(string Key, byte[] Value);
