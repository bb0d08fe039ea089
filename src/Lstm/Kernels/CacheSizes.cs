namespace Lstm.Kernels;

/// <summary>The data caches of the machine the GEMM runs on, read once at start (Linux sysfs; elsewhere a common size).</summary>
internal static class CacheSizes
{
    /// <summary>Bytes of one core's L2 cache (1 MB where the system does not say).</summary>
    public static long L2Bytes { get; } = Read(level: 2) ?? (1 << 20);

    private static long? Read(int level)
    {
        const string root = "/sys/devices/system/cpu/cpu0/cache";
        try
        {
            if (!Directory.Exists(root))
                return null;
            foreach (var index in Directory.EnumerateDirectories(root, "index*"))
            {
                string Field(string name) => File.ReadAllText(Path.Combine(index, name)).Trim();
                if (Field("level") != level.ToString(System.Globalization.CultureInfo.InvariantCulture) || Field("type") is not ("Unified" or "Data"))
                    continue;
                string size = Field("size"); // e.g. "512K", "1024K", "32768K"
                long scale = size.EndsWith('K') ? 1 << 10 : size.EndsWith('M') ? 1 << 20 : 1;
                return long.TryParse(size.TrimEnd('K', 'M'), out long value) && value > 0 ? value * scale : null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable sysfs: keep the common size.
        }
        return null;
    }
}
