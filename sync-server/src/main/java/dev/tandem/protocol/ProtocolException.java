package dev.tandem.protocol;

/** A message broke protocol v1; carries the {@link ErrorCode} to answer with. */
public final class ProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ProtocolException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
