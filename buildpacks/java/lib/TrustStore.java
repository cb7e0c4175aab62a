// Run by bin/compile (java TrustStore.java BUNDLE STORE PASSWORD): every certificate of a PEM
// bundle, the host's CA bundle, in a PKCS12 trust store. Java reads no PEM bundle as one, and
// keytool imports one certificate a run.
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;

public final class TrustStore {
  public static void main(String[] args) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    int count = 0;
    try (FileInputStream bundle = new FileInputStream(args[0])) {
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(bundle)) {
        store.setCertificateEntry("host-ca-" + count++, certificate);
      }
    }
    try (FileOutputStream out = new FileOutputStream(args[1])) {
      store.store(out, args[2].toCharArray());
    }
    System.out.println(count);
  }
}
