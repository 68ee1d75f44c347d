//! `cargo run -p uniffi-bindgen -- generate --library target/debug/libdoorpass_ffi.so --language kotlin
//! --out-dir OUT`: the uniffi binding generator at exactly the version the FFI crate uses.

fn main() {
    uniffi::uniffi_bindgen_main()
}
