using System.Text;
using Raft.Actors.Routing;
using Xunit;

namespace Raft.Actors.Tests.Routing;

public sealed class ShardMapTests
{
    private static byte[] Key(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Hash_sharding_is_stable_across_instances_and_uses_every_group()
    {
        var a = new HashShardMap([10, 20, 30, 40]);
        var b = new HashShardMap([10, 20, 30, 40]);
        var counts = new Dictionary<ulong, int>();
        for (var i = 0; i < 4000; i++)
        {
            var key = Key($"grain/{i}");
            Assert.Equal(a.GroupOf(key), b.GroupOf(key));
            counts[a.GroupOf(key)] = counts.GetValueOrDefault(a.GroupOf(key)) + 1;
        }

        // 4,000 keys over 4 groups: each gets its share give or take 15%.
        Assert.Equal(4, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 850, 1150));
    }

    [Fact]
    public void Range_sharding_gives_a_key_to_the_range_with_the_greatest_start_at_or_below_it()
    {
        var map = new RangeShardMap([(Key("m"), 2), ([], 1), (Key("t"), 3)]);
        Assert.Equal(1UL, map.GroupOf([]));
        Assert.Equal(1UL, map.GroupOf(Key("apple")));
        Assert.Equal(1UL, map.GroupOf(Key("lzzz")));
        Assert.Equal(2UL, map.GroupOf(Key("m")));
        Assert.Equal(2UL, map.GroupOf(Key("s\u00ff")));
        Assert.Equal(3UL, map.GroupOf(Key("t")));
        Assert.Equal(3UL, map.GroupOf([0xFF, 0xFF]));
        Assert.Equal([1UL, 2UL, 3UL], map.Groups);
    }

    [Fact]
    public void Invalid_maps_are_refused_with_a_reason()
    {
        Assert.Contains("empty key", Assert.Throws<ArgumentException>(() => new RangeShardMap([(Key("a"), 1)])).Message);
        Assert.Contains("Two ranges", Assert.Throws<ArgumentException>(() => new RangeShardMap([([], 1), (Key("a"), 2), (Key("a"), 3)])).Message);
        Assert.Throws<ArgumentException>(() => new RangeShardMap([([], 0)]));
        Assert.Throws<ArgumentException>(() => new HashShardMap([]));
        Assert.Throws<ArgumentException>(() => new HashShardMap([1, 1]));
    }
}
