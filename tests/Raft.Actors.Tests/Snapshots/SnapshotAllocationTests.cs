using Raft.Actors.Snapshots;
using Xunit;
using static Raft.Actors.Tests.Snapshots.SnapshotSamples;

namespace Raft.Actors.Tests.Snapshots;

/// <summary>Measures allocations of the whole process, so nothing else may run at the same time.</summary>
[CollectionDefinition(nameof(AllocationMeasurement), DisableParallelization = true)]
public sealed class AllocationMeasurement;

[Collection(nameof(AllocationMeasurement))]
public sealed class SnapshotAllocationTests
{
    [Fact]
    public void Writing_and_reading_a_large_state_allocates_no_buffers_per_chunk()
    {
        var state = State(32 << 20);
        var options = new SnapshotOptions { Codec = SnapshotCodec.Lz4, Workers = 2 };
        var file = new MemoryStream(state.Length);
        RoundTrip(); // Warm up: JIT, pool buckets.

        var before = GC.GetTotalAllocatedBytes(precise: true);
        RoundTrip();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        // 32 chunks of 1 MiB each way: a buffer per chunk would be over 64 MiB.
        Assert.True(allocated < 2 << 20, $"{allocated} bytes allocated for 32 MiB written and read");

        void RoundTrip()
        {
            file.SetLength(0);
            using (var writer = new SnapshotWriter(file, Metadata(), options, leaveOpen: true))
            {
                writer.Write(state);
                writer.Complete();
            }

            file.Position = 0;
            using var reader = SnapshotReader.Open(file, "large", options, leaveOpen: true);
            reader.CopyTo(Stream.Null, 1 << 20);
        }
    }

}
