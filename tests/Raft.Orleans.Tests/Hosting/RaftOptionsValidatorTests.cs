using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Raft.Orleans.Runtime;

namespace Raft.Orleans.Tests.Hosting;

public sealed class RaftOptionsValidatorTests
{
    [Theory]
    [InlineData("DataDirectory")]
    [InlineData("Members")]
    [InlineData("Groups")]
    [InlineData("LogSegmentSize")]
    [InlineData("ElectionTicks")]
    [InlineData("RequestTimeout")]
    [InlineData("ReplicationFactor")]
    [InlineData("DeadSiloGracePeriod")]
    public void An_invalid_option_fails_startup_with_a_message_naming_it(string option)
    {
        var options = Valid();
        switch (option)
        {
            case "DataDirectory": options.DataDirectory = " "; break;
            case "Members": options.Members = []; break;
            case "Groups": options.Groups = 0; break;
            case "LogSegmentSize": options.LogSegmentSize = 1000; break;
            case "ElectionTicks": options.ElectionTicks = 1; break;
            case "RequestTimeout": options.RequestTimeout = TimeSpan.Zero; break;
            case "ReplicationFactor": options.Membership = RaftMembershipMode.Automatic; options.ReplicationFactor = 4; break;
            case "DeadSiloGracePeriod": options.Membership = RaftMembershipMode.Automatic; options.DeadSiloGracePeriod = TimeSpan.Zero; break;
        }

        var error = Assert.Throws<OrleansConfigurationException>(() => new RaftOptionsValidator(Options.Create(options)).ValidateConfiguration());
        Assert.Contains($"RaftOptions.{option}", error.Message);
    }

    [Fact]
    public void Two_members_with_the_same_configured_id_fail_startup()
    {
        var options = Valid();
        options.NodeIds = new() { ["a"] = 7, ["b"] = 7 };
        var error = Assert.Throws<OrleansConfigurationException>(() => new RaftOptionsValidator(Options.Create(options)).ValidateConfiguration());
        Assert.Contains("RaftOptions.NodeIds", error.Message);
    }

    [Fact]
    public void Valid_options_pass()
    {
        new RaftOptionsValidator(Options.Create(Valid())).ValidateConfiguration();
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Automatic_membership_takes_a_replication_factor_of_three_or_five(int factor)
    {
        var options = Valid();
        options.Membership = RaftMembershipMode.Automatic;
        options.ReplicationFactor = factor;
        new RaftOptionsValidator(Options.Create(options)).ValidateConfiguration();
    }

    [Fact]
    public void A_node_id_is_configured_or_derived_from_the_silo_name_alone()
    {
        var options = Valid();
        options.NodeIds = new() { ["a"] = 7 };
        Assert.Equal(7UL, options.NodeIdOf("a"));
        Assert.Equal(RaftNodeIds.FromSiloName("b"), options.NodeIdOf("b"));
        // Pinned: a silo's node id must not change across processes or versions (XxHash64 of "silo-a", seed 0).
        Assert.Equal(13257052061086201538UL, RaftNodeIds.FromSiloName("silo-a"));
        Assert.NotEqual(RaftNodeIds.FromSiloName("b"), RaftNodeIds.FromSiloName("c"));
    }

    private static RaftOptions Valid() => new() { DataDirectory = "/tmp/x", Members = ["a", "b", "c"] };
}
