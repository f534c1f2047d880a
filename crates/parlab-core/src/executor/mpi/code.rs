//! Naming a function so that another process, on another host, can call it:
//! the object it is in (a shared library's path, or the executable) and its
//! offset from that object's load address.
//!
//! Invariant: a rank calls an address only after loading the object the
//! caller named and checking the address lies in that object's mapped code
//! (the process pool's [`Loaded`] snapshot). The object must be the same file
//! on every host, at the same path (a shared file system, or one machine).

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_void};

use crate::executor::process::loaded::Loaded;

/// The object holding `addr` and `addr`'s offset from its load address;
/// "" names the main executable.
pub(crate) fn locate(addr: usize) -> Option<(String, u64)> {
    // SAFETY: Dl_info is plain C data, for which all zeroes is a valid value.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads `addr` as a key and fills `info`.
    if unsafe { libc::dladdr(addr as *const c_void, &mut info) } == 0 || info.dli_fbase.is_null() {
        return None;
    }
    let base = info.dli_fbase as usize;
    if base == executable_base() {
        return Some((String::new(), (addr - base) as u64));
    }
    // SAFETY: dladdr set dli_fname to a valid C string for a found object.
    let name = unsafe { CStr::from_ptr(info.dli_fname) }.to_str().ok()?.to_string();
    let path = std::fs::canonicalize(&name).ok()?.to_str()?.to_string();
    Some((path, (addr - base) as u64))
}

/// A function of this copy of the crate; with `dladdr`'s help, tells whether
/// this copy was linked into the executable (a program) or a library (a cell).
fn main_marker() {}

/// Where the main executable's first segment is mapped: the first object
/// `dl_iterate_phdr` reports is always the executable.
fn executable_base() -> usize {
    let mut first: usize = 0;
    unsafe extern "C" fn each(info: *mut libc::dl_phdr_info, _: usize, data: *mut c_void) -> libc::c_int {
        // SAFETY: dl_iterate_phdr passes a valid info and our pointer.
        let (info, out) = unsafe { (&*info, &mut *(data as *mut usize)) };
        // SAFETY: `dlpi_phdr` has `dlpi_phnum` entries.
        let phdrs = unsafe { std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize) };
        let low = phdrs.iter().filter(|p| p.p_type == libc::PT_LOAD).map(|p| p.p_vaddr as usize).min();
        *out = (info.dlpi_addr as usize).wrapping_add(low.unwrap_or(0) & !0xfff);
        1 // stop after the first
    }
    // SAFETY: the callback only reads the info and writes `first`.
    unsafe { libc::dl_iterate_phdr(Some(each), &mut first as *mut usize as *mut c_void) };
    first
}

/// True if this copy of the crate is linked into the main executable, so the
/// executable itself can be each rank's program.
pub(crate) fn in_executable() -> bool {
    locate(main_marker as fn() as usize).is_some_and(|(object, _)| object.is_empty())
}

/// A rank's loaded objects, by the name the caller used.
#[derive(Default)]
pub(crate) struct Objects {
    bases: HashMap<String, usize>,
    /// What was mapped after the last load: addresses must fall in it.
    code: Option<Loaded>,
}

impl Objects {
    /// The address `offset` into `object`, loading the object on first use;
    /// an error says why it cannot be called.
    pub fn resolve(&mut self, object: &str, offset: u64) -> Result<usize, String> {
        let base = match self.bases.get(object) {
            Some(&b) => b,
            None => {
                let b = load(object)?;
                self.bases.insert(object.to_string(), b);
                self.code = Some(Loaded::now());
                b
            }
        };
        let addr = usize::try_from(offset).ok().and_then(|o| base.checked_add(o));
        let code = self.code.get_or_insert_with(Loaded::now);
        match addr {
            Some(a) if code.contains(a) => Ok(a),
            _ => Err(format!("offset {offset:#x} is not in the code of {}", shown(object))),
        }
    }
}

fn shown(object: &str) -> String {
    if object.is_empty() { "this rank's executable".to_string() } else { object.to_string() }
}

/// Load address of `object` in this process, loading it if needed.
fn load(object: &str) -> Result<usize, String> {
    if object.is_empty() {
        // This rank runs the caller's executable: its own code is the caller's.
        return Ok(executable_base());
    }
    let c = CString::new(object).map_err(|_| format!("{object:?} contains a NUL byte"))?;
    // SAFETY: dlopen with a valid C string; the handle is kept for the process's life.
    let handle = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        // SAFETY: dlerror returns null or a valid C string.
        let err = unsafe { libc::dlerror() };
        let why = if err.is_null() {
            "unknown".into()
        } else {
            // SAFETY: non-null, so a valid C string from dlerror.
            unsafe { CStr::from_ptr(err) }.to_string_lossy()
        };
        return Err(format!(
            "could not load {object} on this rank ({why}); every host must see the same file at the same path"
        ));
    }
    let mut map: *mut libc::c_void = std::ptr::null_mut();
    // Any address inside the object gives its base through dladdr; its link map gives one.
    // SAFETY: RTLD_DI_LINKMAP writes a `struct link_map *` for a valid handle.
    if unsafe { libc::dlinfo(handle, libc::RTLD_DI_LINKMAP, &mut map as *mut _ as *mut c_void) } != 0 {
        return Err(format!("could not inspect {object} after loading it"));
    }
    // struct link_map begins with l_addr (the load bias), then l_name, l_ld.
    // SAFETY: a valid link_map from dlinfo; l_ld points into the object's mapping.
    let l_ld = unsafe { *(map as *const usize).add(2) };
    crate::executor::process::loaded::object_base(l_ld).ok_or_else(|| format!("cannot locate {object} once loaded"))
}
