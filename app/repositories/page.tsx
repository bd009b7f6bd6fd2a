import { redirect } from 'next/navigation'

// /repositories on its own is the list, which lives at /.
export default function RepositoriesIndex() {
  redirect('/')
}
