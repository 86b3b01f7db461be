namespace Raft.Actors.Services;

/// <summary>
/// A lock's fencing token, carried by a fenced write: the write applies only while
/// <paramref name="Token"/> is the latest token <paramref name="Lock"/> issued, so a holder
/// whose lease ran out and was taken over can no longer write.
/// </summary>
/// <param name="Lock">The lock's name.</param>
/// <param name="Token">The token of the acquisition (see <see cref="LockHandle.Token"/>).</param>
public readonly record struct FencingToken(string Lock, long Token);
