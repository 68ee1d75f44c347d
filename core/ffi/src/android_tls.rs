//! Android only: `org.doorpass.core.PlatformTls.init(context)`, which the app calls once at start,
//! before it opens a wallet or a door verifier.
//!
//! The issuer's certificate is checked by Android's own trust manager (rustls-platform-verifier in
//! the core), which the core reaches through the JVM. For that it needs the process's JVM and the
//! application `Context`, which only the app can hand over; without them every HTTPS call (enrolment,
//! renewal, trust and status lists) fails. The Kotlin half is `PlatformTls` in the `doorpass` module;
//! the verifier's own Kotlin library and its R8 keep rule come with the Gradle build
//! (docs/mobile.md, "Android: TLS set-up").
//!
//! This is a plain JNI function, not a uniffi export: uniffi's Kotlin calls go through JNA, which
//! hands Rust no `JNIEnv`, and the verifier needs one. iOS needs nothing of the kind.

use jni::EnvUnowned;
use jni::errors::ThrowRuntimeExAndDefault;
use jni::objects::{JClass, JObject};

/// `PlatformTls.init(context)`: gives the platform verifier the JVM and the application context.
/// Calling it again does nothing (the first context is kept). A JNI failure reaches Kotlin as a
/// `RuntimeException`.
#[jni::jni_mangle("org.doorpass.core.PlatformTls")]
pub fn init<'caller>(
    mut env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    context: JObject<'caller>,
) {
    env.with_env(|env| doorpass_wallet::tls_verifier::init_android(env, context))
        .resolve::<ThrowRuntimeExAndDefault>();
}
