namespace Lstm.IO;

/// <summary>
/// Writes a file so that a crash never leaves a half-written file under its name: into a temporary file in the same
/// folder, flushed to disk, then renamed over the target. The previous file stays intact until the rename.
/// </summary>
public static class AtomicFile
{
    /// <summary>Called after the temporary file is complete and before it is renamed: lets tests stop a save there.</summary>
    [ThreadStatic]
    internal static Action<string>? BeforeRename;

    /// <summary>
    /// Calls <paramref name="write"/> with the path of a new temporary file beside <paramref name="path"/>, flushes it to
    /// disk and renames it to <paramref name="path"/>; the temporary file is deleted if anything fails.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written or renamed.</exception>
    public static void Write(string path, Action<string> write)
    {
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            write(temporary);
            using (var file = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite))
                file.Flush(flushToDisk: true);
            BeforeRename?.Invoke(temporary);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }
}
