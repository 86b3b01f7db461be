namespace Raft.Actors.Testing.Linearizability;

/// <summary>How a <see cref="RegisterSearch"/> ended.</summary>
internal enum SearchVerdict
{
    /// <summary>Every known operation was linearized.</summary>
    Linearizable,

    /// <summary>Every configuration was explored without finding a linearization.</summary>
    NotLinearizable,

    /// <summary>The deadline passed first; nothing was decided.</summary>
    TimedOut,
}
