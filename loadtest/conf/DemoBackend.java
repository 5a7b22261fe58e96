// The demo workspace app on a given port, for the ws-idle scenario. run.sh starts it with Java's
// source launcher against the gateway's jar (java -cp <gateway jar + lib> DemoBackend.java PORT), so the
// loadtest module does not depend on the gateway module.
import dev.portcullis.gateway.demo.DemoWorkspaceApp;
import dev.portcullis.gateway.transport.Transport;
import java.net.InetSocketAddress;

public class DemoBackend {
    public static void main(String[] args) throws Exception {
        DemoWorkspaceApp app = DemoWorkspaceApp.start(Transport.best(), new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])));
        System.out.println("demo workspace app on " + app.address());
        Thread.sleep(Long.parseLong(args.length > 1 ? args[1] : "900") * 1000); // bounded: stops by itself
        app.close();
    }
}
