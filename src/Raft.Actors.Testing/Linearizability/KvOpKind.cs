namespace Raft.Actors.Testing.Linearizability;

/// <summary>What a <see cref="KvOperation"/> does to its key's register.</summary>
public enum KvOpKind
{
    /// <summary>Reads the current value (absent reads as <see langword="null"/>).</summary>
    Get,

    /// <summary>Sets the value unconditionally.</summary>
    Put,

    /// <summary>Sets the value if and only if the current value equals the expected one.</summary>
    Cas,
}
