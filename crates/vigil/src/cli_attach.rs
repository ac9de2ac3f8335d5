//! Command-line definitions of an incident's evidence attachments: `vigil incidents attach`,
//! `vigil incidents attachments` and `vigil incidents download`, against a running server.

use std::path::PathBuf;

use clap::Args;

use crate::cli::ServerArgs;

/// `vigil incidents attach`.
#[derive(Debug, Args)]
pub struct AttachArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The file to attach (at most the server's `[respond] attachment_max_bytes`, 10 MiB unless
    /// configured; not empty).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// What it is (at most 2048 characters).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// The name it is kept under [default: the file's name].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Its media type, kept with it (it is always downloaded as application/octet-stream)
    /// [default: application/octet-stream].
    #[arg(long, value_name = "TYPE/SUBTYPE")]
    pub media_type: Option<String>,
    /// Print the attachment's metadata as the server answered it, as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vigil incidents attachments`.
#[derive(Debug, Args)]
pub struct AttachmentsArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Print the raw JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// `vigil incidents download`.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The incident's id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The attachment's id (the `id` column of `vigil incidents attachments`).
    #[arg(value_name = "AID")]
    pub aid: String,
    /// Write to this file (it must not exist yet) [default: the attachment's name, in the
    /// current directory].
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}
