using Orleans.TestingHost;

namespace Raft.Orleans.Tests.Hosting;

public sealed class RaftStartupTests
{
    [Fact]
    public async Task A_silo_with_an_invalid_raft_option_fails_to_start_naming_the_option()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo.AddRaft(o =>
        {
            o.DataDirectory = Path.Combine(Path.GetTempPath(), $"raft-orleans-invalid-{Guid.NewGuid():N}");
            o.Members = ["Silo_0"];
            o.Groups = 0;
        }));
        var cluster = builder.Build();
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => cluster.DeployAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("RaftOptions.Groups", error.ToString());
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
