namespace Raft.Actors.Testing.Simulation;

/// <summary>
/// A service operation a simulated client has in flight: the bytes the real client code writes
/// (a query for <see cref="ServiceCallKind.Get"/>, a command otherwise) and what the checkers
/// need to know about it.
/// </summary>
/// <param name="Kind">What it does.</param>
/// <param name="Name">The key, the sequence or the lock it acts on.</param>
/// <param name="Bytes">The command or query, as <c>Raft.Actors.Services</c> encodes it.</param>
internal sealed record ServiceCall(ServiceCallKind Kind, string Name, byte[] Bytes)
{
    /// <summary>KV writes: the value written.</summary>
    public string? Value { get; init; }

    /// <summary>Compare-and-put: the value expected (null = absent).</summary>
    public string? Expected { get; init; }

    /// <summary>Lock commands: the owner.</summary>
    public string Owner { get; init; } = "";

    /// <summary>Renew, release and fenced writes: the token; a fenced write's lock is <see cref="Lock"/>.</summary>
    public long Token { get; init; }

    /// <summary>Fenced writes: the lock whose token fences it.</summary>
    public string Lock { get; init; } = "";
}

/// <summary>The kinds of <see cref="ServiceCall"/>.</summary>
internal enum ServiceCallKind
{
    Get,
    Put,
    CompareAndPut,
    PutIfAbsent,
    Delete,
    GetAndPut,
    FencedPut,
    SequenceNext,
    Acquire,
    Renew,
    Release,
}
