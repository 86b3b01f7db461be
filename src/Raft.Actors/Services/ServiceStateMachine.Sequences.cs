namespace Raft.Actors.Services;

public sealed partial class ServiceStateMachine
{
    // The next value each sequence hands out. Part of the replicated state (and the snapshot),
    // so a new leader or a restarted group continues where the last one stopped.
    private readonly Dictionary<string, long> _sequences = new(StringComparer.Ordinal);

    private byte[] SequenceNext(ref CommandReader reader)
    {
        var name = reader.ReadString();
        var step = reader.ReadInt64();
        reader.EnsureEnd();
        if (step < 1)
        {
            return ServiceResult.Error(ServiceStatus.Invalid, $"A sequence step must be at least 1 (was {step}).");
        }

        var start = _sequences.GetValueOrDefault(name);
        if (start > long.MaxValue - step)
        {
            return ServiceResult.Error(ServiceStatus.Invalid, $"Sequence '{name}' at {start} cannot advance by {step}.");
        }

        _sequences[name] = start + step;
        return ServiceResult.Begin().WriteInt64(start).WriteInt64(start + step).ToArray();
    }

    private byte[] SequenceCurrent(ref CommandReader reader)
    {
        var name = reader.ReadString();
        reader.EnsureEnd();
        return ServiceResult.Begin().WriteInt64(_sequences.GetValueOrDefault(name)).ToArray();
    }
}
