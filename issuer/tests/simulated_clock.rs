//! The simulated clock (in-process only): over real HTTP on 127.0.0.1, issuance times, code expiry,
//! refresh-token expiry and the `Date` of answers all follow it, and nothing else moves it.

mod common;

use common::error_of;

use doorpass_format::api::error_code;
use doorpass_issuer::clock::{Clock, SimulatedClock};
use doorpass_issuer::unix_now;

const DAY: u64 = 86_400;

#[tokio::test]
async fn issuance_code_expiry_and_the_date_header_follow_the_simulated_clock() {
    let start = unix_now() + 10 * DAY;
    let sim = SimulatedClock::new(start);
    let issuer = common::start(|c| c.clock = Clock::Simulated(sim.clone())).await;

    let date = issuer.get("/healthz").await.headers()["date"]
        .to_str()
        .unwrap()
        .to_string();
    let date = httpdate::parse_http_date(&date).unwrap();
    assert_eq!(
        date.duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        start,
        "answers are dated by the simulated clock"
    );

    let (key, issued) = issuer.enrol("demo-kim").await;
    let expires_at = issued["expires_at"].as_u64().unwrap();
    assert_eq!(
        expires_at,
        start + 30 * DAY,
        "a 30-day pass from the simulated now"
    );

    // A code asked for now has expired once the clock passes its lifetime (300 s).
    let id = issuer.start_enrolment("demo-lee", &key).await;
    let code = issuer.dev_code("demo-lee").await;
    sim.advance(301);
    assert_eq!(
        error_of(issuer.complete(&id, &code, &key).await),
        (410, error_code::CHALLENGE_EXPIRED.into()),
        "the code expired in simulated time"
    );

    // A refresh token past its expiry (pass lifetime plus 60 days of grace) is refused.
    let token = issued["refresh_token"].as_str().unwrap();
    sim.set(issued["refresh_expires_at"].as_u64().unwrap() + 1);
    assert_eq!(
        error_of(issuer.renew(token, &key).await).1,
        error_code::REFRESH_TOKEN_EXPIRED,
        "the refresh token expired in simulated time"
    );
}
