using System.Runtime.InteropServices;

namespace Lstm.IO;

/// <summary>
/// Writes a file so that a crash never leaves a half-written file under its name: into a temporary file in the same
/// folder, flushed to disk, then renamed over the target, and the folder synced so the rename itself is durable. The
/// previous file stays intact until the rename. Temporary files that an interrupted save left behind are removed by
/// the next save to the same path.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>How old an unlocked temporary file must be before a later save treats it as left behind.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(10);

    /// <summary>Called after the temporary file is complete and before it is renamed: lets tests stop a save there.</summary>
    [ThreadStatic]
    internal static Action<string>? BeforeRename;

    /// <summary>
    /// Calls <paramref name="write"/> with the path of a new temporary file beside <paramref name="path"/>, flushes it to
    /// disk and renames it to <paramref name="path"/>; the temporary file is deleted if anything fails (a full disk
    /// included), and the file under <paramref name="path"/> is then the previous one.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written or renamed.</exception>
    public static void Write(string path, Action<string> write)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        RemoveLeftBehind(folder, Path.GetFileName(full));
        string temporary = Path.Combine(folder, $"{TemporaryPrefix(Path.GetFileName(full))}{Guid.NewGuid():N}.tmp");
        try
        {
            write(temporary);
            using (var file = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                file.Flush(flushToDisk: true);
            BeforeRename?.Invoke(temporary);
            File.Move(temporary, full, overwrite: true);
            SyncFolder(folder);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    private static string TemporaryPrefix(string name) => $".{name}.";

    /// <summary>
    /// Deletes the temporary files of earlier saves to this name that no process is writing: not locked (a writer holds
    /// its file exclusively) and not written to for <see cref="StaleAfter"/>.
    /// </summary>
    private static void RemoveLeftBehind(string folder, string name)
    {
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(folder, $"{TemporaryPrefix(name)}*.tmp");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // the save itself reports a folder it cannot use
        }
        foreach (string candidate in candidates)
        {
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(candidate) < StaleAfter)
                    continue;
                using var _ = new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Locked by a save in progress, or gone already.
            }
        }
    }

    /// <summary>Makes the rename durable: on Unix a rename reaches the disk when its folder is synced (POSIX fsync on the folder).</summary>
    private static void SyncFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
            return; // NTFS journals the rename itself; a folder cannot be opened for flushing there
        try
        {
            int fd = Open(folder, 0); // O_RDONLY
            if (fd < 0)
                return; // best effort: the file itself is already on disk
            _ = FSync(fd);
            _ = Close(fd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A platform without a C library under that name: the file is on disk, the rename as durable as the platform makes it.
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
