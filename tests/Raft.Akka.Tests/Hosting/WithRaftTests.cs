using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Raft.Actors.Services;
using Raft.Akka.Hosting;
using Raft.Akka.Serialization;

namespace Raft.Akka.Tests.Hosting;

public sealed class WithRaftTests
{
    [Fact(Timeout = 60_000)]
    public async Task WithRaft_starts_the_extension_with_the_actor_system_and_binds_the_serializer()
    {
        var port = AkkaRaftCluster.FreePort();
        var directory = Path.Combine(Path.GetTempPath(), "raft-akka-tests", Guid.NewGuid().ToString("N"));
        using var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("hosted", builder => builder
                .AddHocon($"akka.actor.provider = remote\nakka.remote.dot-netty.tcp {{ hostname = 127.0.0.1, port = {port} }}\nakka.loglevel = WARNING", HoconAddMode.Prepend)
                .WithRaft(raft =>
                {
                    raft.NodeId = 7;
                    raft.DataDirectory = directory;
                    raft.Groups = 1;
                    raft.TickInterval = TimeSpan.FromMilliseconds(20);
                    raft.Members[7] = $"akka.tcp://hosted@127.0.0.1:{port}";
                })))
            .Build();
        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var raft = RaftExtension.Get(system);
            await raft.Started.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(7UL, raft.NodeId);
            Assert.IsType<RaftEnvelopeSerializer>(system.Serialization.FindSerializerForType(typeof(RaftFrame)));

            await raft.Services(1).Kv.PutStringAsync("hosted", "yes");
            Assert.Equal("yes", await raft.Services(1).Kv.GetStringAsync("hosted"));
        }
        finally
        {
            await host.StopAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void WithRaft_refuses_settings_naming_the_bad_one()
    {
        var error = Assert.Throws<ConfigurationException>(() => new AkkaConfigurationBuilder(new ServiceCollection(), "bad")
            .WithRaft(raft =>
            {
                raft.NodeId = 2;
                raft.DataDirectory = "/tmp/x";
                raft.Members[1] = "akka.tcp://bad@127.0.0.1:1";
            }));
        Assert.Contains("akka.raft.node-id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_settings_round_trip_through_hocon()
    {
        var settings = new RaftSettings
        {
            ClusterId = "c \"1\"",
            NodeId = 3,
            DataDirectory = "/var/lib/raft",
            Groups = 5,
            Members = { [3] = "akka.tcp://a@10.0.0.3:4053", [4] = "akka.tcp://a@10.0.0.4:4053" },
            TickInterval = TimeSpan.FromMilliseconds(30),
            ElectionTicks = 12,
        };
        var read = RaftSettings.FromConfig(ConfigurationFactory.ParseString(settings.ToHocon()).WithFallback(RaftExtension.DefaultConfig()));
        read.Validate();
        Assert.Equal((settings.ClusterId, settings.NodeId, settings.DataDirectory, settings.Groups, settings.TickInterval, settings.ElectionTicks),
            (read.ClusterId, read.NodeId, read.DataDirectory, read.Groups, read.TickInterval, read.ElectionTicks));
        Assert.Equal(settings.Members.OrderBy(m => m.Key), read.Members.OrderBy(m => m.Key));
    }
}
