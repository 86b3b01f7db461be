using Raft.Actors.Testing.Linearizability;

namespace Raft.Actors.Testing.Services;

/// <summary>What a <see cref="ServiceKvOperation"/> does (the operations of <c>IReplicatedKv</c> on one key).</summary>
public enum ServiceKvKind
{
    /// <summary>Reads the value (absent reads as null).</summary>
    Get,

    /// <summary>Sets the value (fenced or not: a refused fenced write is <see cref="OpOutcome.Failed"/>).</summary>
    Put,

    /// <summary>Sets the value if the current one equals the expected one (null = absent); answers whether it did.</summary>
    CompareAndPut,

    /// <summary>Sets the value if the key is absent; answers the value held before (null: it wrote).</summary>
    PutIfAbsent,

    /// <summary>Removes the key; answers whether it existed.</summary>
    Delete,

    /// <summary>Sets the value; answers the value held before.</summary>
    GetAndPut,
}

/// <summary>
/// One operation of the replicated KV service on one key, as the client observed it, and its
/// translation into the register operations the <see cref="LinearizabilityChecker"/> decides.
/// </summary>
/// <param name="Client">The client that issued it.</param>
/// <param name="Kind">What it does.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">The value written (unused by Get and Delete).</param>
/// <param name="Expected">CompareAndPut: the value expected (null = absent).</param>
/// <param name="InvokedAt">When the client sent it.</param>
/// <param name="CompletedAt">When the client got the answer (Ok only).</param>
/// <param name="Outcome">Ok, failed (did not apply), or unknown (may have applied).</param>
/// <param name="Output">Ok Get, PutIfAbsent, GetAndPut: the value the answer carried.</param>
/// <param name="Succeeded">Ok CompareAndPut: whether it swapped; Ok Delete: whether the key existed.</param>
public sealed record ServiceKvOperation(
    int Client,
    ServiceKvKind Kind,
    string Key,
    string? Value,
    string? Expected,
    long InvokedAt,
    long CompletedAt,
    OpOutcome Outcome,
    string? Output,
    bool Succeeded)
{
    /// <summary>
    /// The same operation as a get, put or compare-and-set of a register, exactly except for one case.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item><description>PutIfAbsent that answered absent: it wrote, so a swap from absent; one that
    /// answered a value changed nothing and read it, so a get of that value; unknown: a swap from absent.</description></item>
    /// <item><description>GetAndPut that answered x: it saw x and wrote, so a swap from x that applied;
    /// unknown: a put.</description></item>
    /// <item><description>Delete that answered false: it found the key absent and changed nothing, so a
    /// get of absent; true or unknown: a put of absent. The one loss: "the key existed" is not
    /// checked, since a register operation cannot expect "any value but absent". A history whose
    /// only fault is a delete that claims a value where there was none passes.</description></item>
    /// </list>
    /// </remarks>
    public KvOperation ToRegisterOperation()
    {
        var known = Outcome == OpOutcome.Ok;
        return Kind switch
        {
            ServiceKvKind.Get => Register(KvOpKind.Get, null, null, Output, false),
            ServiceKvKind.Put => Register(KvOpKind.Put, Value, null, null, known),
            ServiceKvKind.CompareAndPut => Register(KvOpKind.Cas, Value, Expected, null, known && Succeeded),
            ServiceKvKind.PutIfAbsent when known && Output is not null => Register(KvOpKind.Get, null, null, Output, false),
            ServiceKvKind.PutIfAbsent => Register(KvOpKind.Cas, Value, null, null, known),
            ServiceKvKind.Delete when known && !Succeeded => Register(KvOpKind.Get, null, null, null, false),
            ServiceKvKind.Delete => Register(KvOpKind.Put, null, null, null, known),
            _ when known => Register(KvOpKind.Cas, Value, Output, null, true),
            _ => Register(KvOpKind.Put, Value, null, null, false),
        };
    }

    private KvOperation Register(KvOpKind kind, string? value, string? expected, string? output, bool casApplied) =>
        new(Client, kind, Key, value, expected, InvokedAt, CompletedAt, Outcome, output, casApplied);
}
