namespace Raft.Actors.Testing.Linearizability;

/// <summary>What the client learned about a <see cref="KvOperation"/>.</summary>
public enum OpOutcome
{
    /// <summary>The operation took effect and its output is what the client saw.</summary>
    Ok,

    /// <summary>
    /// The operation definitely did not take effect (for example rejected before it was
    /// proposed). The checker drops it from the history.
    /// </summary>
    Failed,

    /// <summary>
    /// The client does not know (a timeout, a lost connection): the operation may take effect
    /// at any point after its invocation, or never. Its completion time and output are ignored.
    /// </summary>
    Unknown,
}
