// The waPC guest entry point (`__guest_call`) comes with the SDK the policy crates link, and
// imports these three functions from the engine's "wapc" module. The page never calls it (it calls
// the rules through wasm-bindgen exports), so the imports are answered here only to let the module
// instantiate; index.html maps the "wapc" specifier to this file with an import map.
const unused = (name) => () => {
  throw new Error(`waPC ${name} called in the playground: the page has no waPC host`);
};
export const __guest_request = unused("__guest_request");
export const __guest_response = unused("__guest_response");
export const __guest_error = unused("__guest_error");
