//! Trackershark live capture: a Wireshark extcap program that runs Tracker (locally, on a remote host
//! over SSH, or reads a Kubernetes DaemonSet's logs), receives its events over the Fluent Forward
//! protocol on a loopback-only listener, and writes them to Wireshark as pcapng packets, the same
//! packets `trackershark convert` makes.

pub mod extcap;
pub mod forward;
pub mod output;
pub mod receiver;
