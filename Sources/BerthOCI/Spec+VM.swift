extension Spec {
    /// Configuration for containers run inside a virtual machine.
    public struct VM: Codable, Equatable, Hashable, Sendable {
        public var hypervisor: Hypervisor?
        public var kernel: Kernel
        /// The root disk image; absent when the guest boots from an initrd only.
        public var image: Image?

        public init(hypervisor: Hypervisor? = nil, kernel: Kernel, image: Image? = nil) {
            self.hypervisor = hypervisor
            self.kernel = kernel
            self.image = image
        }

        /// The hypervisor that manages the VM.
        public struct Hypervisor: Codable, Equatable, Hashable, Sendable {
            /// Host path of the hypervisor binary.
            public var path: String
            public var parameters: [String]?

            public init(path: String, parameters: [String]? = nil) {
                self.path = path
                self.parameters = parameters
            }
        }

        /// The guest kernel.
        public struct Kernel: Codable, Equatable, Hashable, Sendable {
            /// Host path of the kernel image.
            public var path: String
            /// Kernel command line parameters.
            public var parameters: [String]?
            /// Host path of an initial ramdisk.
            public var initrd: String?

            public init(path: String, parameters: [String]? = nil, initrd: String? = nil) {
                self.path = path
                self.parameters = parameters
                self.initrd = initrd
            }
        }

        /// The guest root disk image.
        public struct Image: Codable, Equatable, Hashable, Sendable {
            /// Host path of the image.
            public var path: String
            /// `raw`, `qcow2`, `vdi`, `vmdk` or `vhd`.
            public var format: String

            public init(path: String, format: String) {
                self.path = path
                self.format = format
            }
        }
    }
}
