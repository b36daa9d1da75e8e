//! Admission request decoding and pod extraction from arbitrary bytes: never a panic; every
//! container path lies under the kind's pod spec path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_helpers::pod::PodObject;
use policy_helpers::request::Request;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<Request>(data) else {
        return;
    };
    let _ = req.metadata();
    if let Ok(Some(pod)) = PodObject::from_request(&req) {
        for c in pod.containers() {
            assert!(c.path().starts_with(pod.spec_path()));
            let _ = c.subject();
            let _ = pod.effective_run_as_non_root(&c);
            let _ = pod.effective_run_as_user(&c);
            let _ = pod.effective_seccomp(&c);
        }
    }
});
