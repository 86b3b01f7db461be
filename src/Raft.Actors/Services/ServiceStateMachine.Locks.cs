namespace Raft.Actors.Services;

public sealed partial class ServiceStateMachine
{
    // A lock's record outlives its release: its token must keep increasing for the next holder.
    private readonly Dictionary<string, LockRecord> _locks = new(StringComparer.Ordinal);

    /// <summary>
    /// Acquire: a free or expired lock goes to the owner with a new token; the owner that holds
    /// it re-enters with the same token (one more hold, the lease extended); anyone else is told
    /// who holds it and until when.
    /// </summary>
    private byte[] LockAcquire(ref CommandReader reader)
    {
        var name = reader.ReadString();
        var owner = reader.ReadString();
        var lease = reader.ReadInt64();
        var stamp = reader.ReadInt64();
        reader.EnsureEnd();
        if (lease <= 0)
        {
            return ServiceResult.Error(ServiceStatus.Invalid, $"A lease must be positive (was {lease} ms).");
        }

        var record = _locks.TryGetValue(name, out var found) ? found : _locks[name] = new LockRecord();
        var now = record.Advance(stamp);
        LockOutcome outcome;
        if (record.Owner is not null && now < record.ExpiresAt)
        {
            if (record.Owner != owner)
            {
                return LockResult(LockOutcome.Refused, record);
            }

            record.Holds++;
            outcome = LockOutcome.Reentered;
        }
        else
        {
            // Free, released or expired: a new acquisition, so a new token. The previous holder's
            // fenced writes fail from now on, even if it has not noticed that its lease ran out.
            record.Owner = owner;
            record.Token++;
            record.Holds = 1;
            record.ExpiresAt = now;
            outcome = LockOutcome.Done;
        }

        record.ExpiresAt = Math.Max(record.ExpiresAt, Expiry(now, lease));
        return LockResult(outcome, record);
    }

    /// <summary>Renew: only the holder of the current token, before its lease ran out by the lock's time.</summary>
    private byte[] LockRenew(ref CommandReader reader)
    {
        var name = reader.ReadString();
        var owner = reader.ReadString();
        var token = reader.ReadInt64();
        var lease = reader.ReadInt64();
        var stamp = reader.ReadInt64();
        reader.EnsureEnd();
        if (lease <= 0)
        {
            return ServiceResult.Error(ServiceStatus.Invalid, $"A lease must be positive (was {lease} ms).");
        }

        if (!_locks.TryGetValue(name, out var record))
        {
            return LockResult(LockOutcome.Refused, new LockRecord());
        }

        var now = record.Advance(stamp);
        if (record.Owner != owner || record.Token != token || now >= record.ExpiresAt)
        {
            return LockResult(LockOutcome.Refused, record);
        }

        record.ExpiresAt = Math.Max(record.ExpiresAt, Expiry(now, lease));
        return LockResult(LockOutcome.Done, record);
    }

    /// <summary>
    /// Release one hold of the current token. Also after the lease ran out, as long as nobody
    /// took the lock over: freeing it early only helps the next owner.
    /// </summary>
    private byte[] LockRelease(ref CommandReader reader)
    {
        var name = reader.ReadString();
        var owner = reader.ReadString();
        var token = reader.ReadInt64();
        var stamp = reader.ReadInt64();
        reader.EnsureEnd();
        if (!_locks.TryGetValue(name, out var record))
        {
            return LockResult(LockOutcome.Refused, new LockRecord());
        }

        var now = record.Advance(stamp);
        if (record.Owner != owner || record.Token != token)
        {
            return LockResult(LockOutcome.Refused, record);
        }

        if (--record.Holds == 0)
        {
            record.Owner = null;
            record.ExpiresAt = Math.Min(record.ExpiresAt, now);
        }

        return LockResult(LockOutcome.Done, record);
    }

    private byte[] LockStateQuery(ref CommandReader reader)
    {
        var name = reader.ReadString();
        reader.EnsureEnd();
        var result = ServiceResult.Begin().WriteBool(_locks.ContainsKey(name));
        if (_locks.TryGetValue(name, out var record))
        {
            WriteLock(result, record);
        }

        return result.ToArray();
    }

    private static long Expiry(long now, long lease) => now > long.MaxValue - lease ? long.MaxValue : now + lease;

    private static byte[] LockResult(LockOutcome outcome, LockRecord record) => WriteLock(ServiceResult.Begin().WriteByte((byte)outcome), record).ToArray();

    private static CommandWriter WriteLock(CommandWriter writer, LockRecord record) =>
        writer.WriteOptionalString(record.Owner).WriteInt64(record.Token).WriteInt32(record.Holds).WriteInt64(record.ExpiresAt).WriteInt64(record.LastStamp);

    /// <summary>A fence is read before anything changes: a malformed one rejects the whole command.</summary>
    private static FencingToken? ReadFence(ref CommandReader reader) =>
        reader.ReadBool() ? new FencingToken(reader.ReadString(), reader.ReadInt64()) : null;

    /// <summary>
    /// A fenced write passes only with the latest token its lock issued: a lower one belongs to
    /// a holder that was taken over; a higher one was never issued.
    /// </summary>
    private byte[]? RejectFence(FencingToken? fence)
    {
        if (fence is not { } f)
        {
            return null;
        }

        var latest = _locks.TryGetValue(f.Lock, out var record) ? record.Token : 0;
        var current = (PlantedBugs & ServicePlantedBug.StaleFence) != 0 ? f.Token >= 1 && f.Token <= latest : latest == f.Token;
        return latest != 0 && current ? null : ServiceResult.FenceRejected(f.Lock, latest);
    }

    /// <summary>One lock. Times are the proposers' wall clocks in Unix milliseconds.</summary>
    private sealed class LockRecord
    {
        /// <summary>The holder; null while free.</summary>
        public string? Owner { get; set; }

        /// <summary>The latest fencing token issued (0 = never acquired).</summary>
        public long Token { get; set; }

        /// <summary>Re-entrant holds of <see cref="Owner"/>.</summary>
        public int Holds { get; set; }

        /// <summary>The lease's end in the lock's time.</summary>
        public long ExpiresAt { get; set; }

        /// <summary>The lock's time: the latest stamp any command on it carried.</summary>
        public long LastStamp { get; set; } = long.MinValue;

        /// <summary>Moves the lock's time to <paramref name="stamp"/> unless that is older, and returns it.</summary>
        public long Advance(long stamp) => LastStamp = Math.Max(LastStamp, stamp);
    }
}

/// <summary>What a lock command did; the lock's state follows it in the result.</summary>
internal enum LockOutcome : byte
{
    /// <summary>Held by someone else (acquire), or not held by the caller's token (renew, release).</summary>
    Refused = 0,

    /// <summary>Acquired with a new token, renewed, or released.</summary>
    Done = 1,

    /// <summary>Acquired again by its holder: same token, one more hold.</summary>
    Reentered = 2,
}
