using Microsoft.Extensions.Options;
using Raft.Actors.Storage;

namespace Orleans.Configuration;

/// <summary>Fails silo start with a message naming the option and its bad value when <see cref="RaftOptions"/> is unusable.</summary>
public sealed class RaftOptionsValidator(IOptions<RaftOptions> options) : IConfigurationValidator
{
    /// <inheritdoc />
    public void ValidateConfiguration()
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.DataDirectory))
        {
            Fail($"RaftOptions.DataDirectory must be set (was \"{o.DataDirectory}\").");
        }

        if (o.Members is not { Count: > 0 })
        {
            Fail("RaftOptions.Members must name at least one silo (was empty).");
            return;
        }

        if (o.Members.Any(string.IsNullOrWhiteSpace) || o.Members.Distinct(StringComparer.Ordinal).Count() != o.Members.Count)
        {
            Fail($"RaftOptions.Members must name distinct silos, none empty (was [{string.Join(", ", o.Members)}]).");
        }

        var ids = o.Members.Select(o.NodeIdOf).ToArray();
        if (ids.Contains(0UL) || ids.Distinct().Count() != ids.Length)
        {
            Fail($"RaftOptions.NodeIds must give every member a distinct id other than 0 (members [{string.Join(", ", o.Members)}] have ids [{string.Join(", ", ids)}]).");
        }

        if (o.Groups < 1 || (ulong)o.Groups >= RaftOptions.ServicesGroupId)
        {
            Fail($"RaftOptions.Groups must be in [1, {RaftOptions.ServicesGroupId - 1}] (was {o.Groups}).");
        }

        if (!Enum.IsDefined(o.Membership))
        {
            Fail($"RaftOptions.Membership must be Manual or Automatic (was {o.Membership}).");
        }

        if (o.Membership == RaftMembershipMode.Automatic)
        {
            if (o.ReplicationFactor is not (3 or 5))
            {
                Fail($"RaftOptions.ReplicationFactor must be 3 or 5 (was {o.ReplicationFactor}).");
            }

            if (o.DeadSiloGracePeriod <= TimeSpan.Zero)
            {
                Fail($"RaftOptions.DeadSiloGracePeriod must be positive (was {o.DeadSiloGracePeriod}).");
            }

            if (o.MembershipCheckInterval <= TimeSpan.Zero)
            {
                Fail($"RaftOptions.MembershipCheckInterval must be positive (was {o.MembershipCheckInterval}).");
            }
        }

        if (o.LogSegmentSize < FileLogStoreOptions.MinSegmentSize || o.LogSegmentSize > FileLogStoreOptions.MaxSegmentSize || o.LogSegmentSize % 4096 != 0)
        {
            Fail($"RaftOptions.LogSegmentSize must be a multiple of 4096 in [{FileLogStoreOptions.MinSegmentSize}, {FileLogStoreOptions.MaxSegmentSize}] (was {o.LogSegmentSize}).");
        }

        if (o.SnapshotEveryEntries == 0)
        {
            Fail("RaftOptions.SnapshotEveryEntries must be positive (was 0).");
        }

        if (o.TickInterval <= TimeSpan.Zero)
        {
            Fail($"RaftOptions.TickInterval must be positive (was {o.TickInterval}).");
        }

        if (o.ElectionTicks < 3)
        {
            Fail($"RaftOptions.ElectionTicks must be at least 3 (was {o.ElectionTicks}).");
        }

        foreach (var (name, value) in new[] { ("ProposalTimeout", o.ProposalTimeout), ("RequestTimeout", o.RequestTimeout), ("AttemptTimeout", o.AttemptTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                Fail($"RaftOptions.{name} must be positive (was {value}).");
            }
        }
    }

    private static void Fail(string message) => throw new OrleansConfigurationException(message);
}
