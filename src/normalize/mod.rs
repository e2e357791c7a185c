//! Normalization: printed amounts into exact yuan, codes into compact form.
