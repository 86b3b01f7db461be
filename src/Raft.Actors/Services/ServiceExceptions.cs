namespace Raft.Actors.Services;

/// <summary>
/// A fenced write was refused, and nothing of it applied: its token is not the latest its lock
/// issued (another owner acquired the lock since), or the lock never issued it.
/// </summary>
public sealed class FencingTokenRejectedException(string lockName, long token, long latestToken)
    : Exception($"Write fenced by lock '{lockName}' token {token} refused: the lock's latest token is {latestToken}.")
{
    /// <summary>The fencing lock.</summary>
    public string LockName { get; } = lockName;

    /// <summary>The token the write carried.</summary>
    public long Token { get; } = token;

    /// <summary>The latest token the lock issued (0 = never acquired).</summary>
    public long LatestToken { get; } = latestToken;
}

/// <summary>
/// A lock handle no longer holds its lock: its lease ran out (and it may have been taken over),
/// or it was released.
/// </summary>
public sealed class LockLostException(string lockName, string owner, long token)
    : Exception($"Lock '{lockName}' is no longer held by owner '{owner}' with token {token}.")
{
    /// <summary>The lock.</summary>
    public string LockName { get; } = lockName;

    /// <summary>The owner that lost it.</summary>
    public string Owner { get; } = owner;

    /// <summary>The token of the lost acquisition.</summary>
    public long Token { get; } = token;
}
