use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let v = spin_sdk::variables::get("db_url")?;
    let c = spin_sdk::pg4::Connection::open(&v)?;
    let r = c.query("SELECT 1", &[])?;
    let rc = spin_sdk::redis::Connection::open("redis://x")?;
    rc.publish("a", &vec![])?;
    let _ = (r, req);
    Ok(Response::new(200, "ok"))
}
