pub(crate) const HELP: &str = "storm";
pub(crate) struct StormOpts;
pub(crate) fn parse(_a: &[String]) -> Result<StormOpts, String> {
    Err("todo".into())
}
pub(crate) async fn run(_o: StormOpts) -> std::io::Result<bool> {
    Ok(false)
}
