using Lstm.IO;

namespace Lstm.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lstm-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Left(string name, TimeSpan age)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, new byte[100]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        return path;
    }

    [Fact]
    public void ASave_RemovesTheTemporaryFilesOfInterruptedSaves_AndNoOthers()
    {
        string target = Path.Combine(_dir, "model.safetensors");
        string stale = Left($".model.safetensors.{Guid.NewGuid():N}.tmp", TimeSpan.FromMinutes(5));
        string fresh = Left($".model.safetensors.{Guid.NewGuid():N}.tmp", TimeSpan.Zero);
        string writing = Left($".model.safetensors.{Guid.NewGuid():N}.tmp", TimeSpan.FromMinutes(5));
        string otherTarget = Left($".other.safetensors.{Guid.NewGuid():N}.tmp", TimeSpan.FromMinutes(5));
        using (new FileStream(writing, FileMode.Open, FileAccess.Write, FileShare.None)) // a save in progress elsewhere
            AtomicFile.Write(target, temporary => File.WriteAllText(temporary, "new"));

        Assert.Equal("new", File.ReadAllText(target));
        Assert.False(File.Exists(stale), "an old, unlocked temporary file of this target is left behind by a crash");
        Assert.True(File.Exists(fresh), "a temporary file written a moment ago may belong to a save in progress");
        Assert.True(File.Exists(writing), "a locked temporary file belongs to a save in progress");
        Assert.True(File.Exists(otherTarget), "another target's temporary files are not this save's to remove");
    }

    [Fact]
    public void AWriteFailure_LikeAFullDisk_KeepsThePreviousFileAndLeavesNoTemporaryFile()
    {
        string target = Path.Combine(_dir, "model.safetensors");
        File.WriteAllText(target, "previous");
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(target, temporary =>
        {
            File.WriteAllText(temporary, "half a checkpoint");
            throw new IOException("No space left on device");
        }));
        Assert.Contains("No space left", e.Message);
        Assert.Equal("previous", File.ReadAllText(target));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }
}
