namespace Raft.Actors.Services;

/// <summary>A lock as the group knows it.</summary>
/// <param name="Name">The lock.</param>
/// <param name="Owner">The holder, or null once released.</param>
/// <param name="Token">The latest fencing token issued.</param>
/// <param name="Holds">Re-entrant holds of <paramref name="Owner"/>.</param>
/// <param name="ExpiresAt">The end of the lease, in the lock's time (the latest stamp a command on it carried).</param>
public sealed record LockState(string Name, string? Owner, long Token, int Holds, DateTimeOffset ExpiresAt)
{
    private static readonly long s_minMilliseconds = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long s_maxMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>True if <see cref="Owner"/> holds it at <paramref name="now"/> (a lock past its lease may be taken over).</summary>
    public bool IsHeldAt(DateTimeOffset now) => Owner is not null && now < ExpiresAt;

    internal static DateTimeOffset ToTime(long unixMilliseconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(unixMilliseconds, s_minMilliseconds, s_maxMilliseconds));

    /// <summary>Reads what <c>ServiceStateMachine.WriteLock</c> wrote.</summary>
    internal static LockState Read(string name, ref CommandReader reader)
    {
        var owner = reader.ReadOptionalString();
        var token = reader.ReadInt64();
        var holds = reader.ReadInt32();
        var expiresAt = reader.ReadInt64();
        reader.ReadInt64(); // the lock's time
        return new LockState(name, owner, token, holds, ToTime(expiresAt));
    }
}
