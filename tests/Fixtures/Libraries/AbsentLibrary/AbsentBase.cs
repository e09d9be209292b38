namespace ImageCache.Fixtures.AbsentLibrary;

/// <summary>A base class that the MissingDependency fixture plugin derives from but does not ship.</summary>
public abstract class AbsentBase
{
    public string Origin => "absent library";
}
