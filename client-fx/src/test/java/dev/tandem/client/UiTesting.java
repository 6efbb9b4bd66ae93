package dev.tandem.client;

import org.testfx.util.WaitForAsyncUtils;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.fail;

/** What the window tests share: running code on the FX thread, waiting for a state, a window without menu actions. */
final class UiTesting {
    static final long WAIT_SECONDS = 10;

    private UiTesting() {}

    /** Runs {@code c} on the FX thread and returns its result. */
    static <T> T fx(Callable<T> c) throws Exception {
        return fx(c, WAIT_SECONDS);
    }

    /** Runs {@code c} on the FX thread and returns its result, waiting at most {@code seconds}. */
    static <T> T fx(Callable<T> c, long seconds) throws Exception {
        return WaitForAsyncUtils.asyncFx(c).get(seconds, TimeUnit.SECONDS);
    }

    /** Waits until {@code condition} (evaluated on the FX thread) holds; fails with {@code what}. */
    static void eventually(String what, Callable<Boolean> condition) throws Exception {
        try {
            WaitForAsyncUtils.waitFor(WAIT_SECONDS, TimeUnit.SECONDS, () -> fx(condition));
        } catch (TimeoutException e) {
            fail("timed out waiting until " + what);
        }
    }

    /** The menu's actions, doing nothing: these tests open windows without an application around them. */
    static class NoActions implements RoomWindow.Actions {
        @Override public void joinRoom() {}
        @Override public void host() {}
        @Override public void setOffline(boolean offline) {}
        @Override public void quit() {}
        @Override public void openLink(String url) {}
    }
}
