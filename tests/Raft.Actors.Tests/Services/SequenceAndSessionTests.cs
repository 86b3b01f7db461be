using Raft.Actors.Services;
using Xunit;

namespace Raft.Actors.Tests.Services;

public sealed class SequenceAndSessionTests
{
    [Fact]
    public async Task Ranges_follow_each_other_per_sequence_from_zero()
    {
        var services = new RaftServices(new DirectGroupClient());
        var ids = services.GetSequence("ids");

        Assert.Equal(new SequenceRange(0, 1), await ids.NextAsync());
        Assert.Equal(new SequenceRange(1, 11), await ids.NextAsync(10));
        Assert.Equal(new SequenceRange(0, 3), await services.GetSequence("other").NextAsync(3));
        Assert.Equal(11, await ids.GetCurrentAsync());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ids.NextAsync(0));
    }

    [Fact]
    public async Task A_sequence_refuses_to_wrap_around()
    {
        var ids = new RaftServices(new DirectGroupClient()).GetSequence("ids");
        await ids.NextAsync(long.MaxValue - 1);

        await Assert.ThrowsAsync<ArgumentException>(() => ids.NextAsync(2));
        Assert.Equal(new SequenceRange(long.MaxValue - 1, long.MaxValue), await ids.NextAsync(1));
    }

    [Fact]
    public void Sessions_in_flight_at_once_are_distinct_and_reused_afterwards_with_higher_sequences()
    {
        var sessions = new ProposalSessions();
        var a = sessions.Rent();
        var b = sessions.Rent();
        Assert.NotEqual(a.Id.ClientId, b.Id.ClientId);
        a.Dispose();
        a.Dispose();
        b.Dispose();

        var c = sessions.Rent();
        var d = sessions.Rent();
        var e = sessions.Rent();

        Assert.Equal(3, sessions.SessionCount);
        Assert.Equal(3, new[] { c, d, e }.Select(l => l.Id.ClientId).Distinct().Count());
        Assert.All(new[] { c, d }, l => Assert.Equal(2ul, l.Id.Sequence));
        Assert.Equal(1ul, e.Id.Sequence);
    }
}
